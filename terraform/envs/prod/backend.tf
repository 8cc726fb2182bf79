terraform {
  # Partial configuration: init passes -backend-config=bucket=STATE_BUCKET (settings.auto.tfvars).
  backend "gcs" {
    prefix = "playclips/prod"
  }
}
