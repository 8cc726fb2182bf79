# The clip job: its identity (serviceaccount.tf), that identity's bindings (iam.tf) and the
# Cloud Run job (job.tf). README.md has the inputs, outputs and least-privilege matrix.
locals {
  job_member     = google_service_account.job.member
  scratch_volume = "scratch"
}
