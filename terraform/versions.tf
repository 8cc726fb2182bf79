# The Terraform and google provider versions of every module and of the env root: each of them
# links its versions.tf here (terraform/README.md, "Versions"), so the constraint is stated once.
terraform {
  # Ephemeral variables and write-only arguments (the Supabase key) need 1.11.
  required_version = ">= 1.11"
  required_providers {
    google = {
      source = "hashicorp/google"
      # 8.7 is the release whose schema the offline tests serve; Cloud Run v2 jobs accept
      # empty_dir medium = "DISK" there. Stay on the 8.x line until the tests move.
      version = ">= 8.7, < 9.0"
    }
  }
}
