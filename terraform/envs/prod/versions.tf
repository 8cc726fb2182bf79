terraform {
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.7, < 9.0"
    }
  }
  # Partial configuration: `terraform init -backend-config=bucket=STATE_BUCKET` (README).
  backend "gcs" {
    prefix = "playclips/prod"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
