terraform {
  # Ephemeral variables and write-only arguments (the Supabase key) need 1.11.
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.7, < 9.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
