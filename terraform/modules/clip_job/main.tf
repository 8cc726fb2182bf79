# The clip job: its identity (serviceaccount.tf), that identity's bindings (iam.tf) and the
# Cloud Run job (job.tf). README.md has the inputs, outputs and least-privilege matrix.
locals {
  job_member     = google_service_account.job.member
  scratch_volume = "scratch"
  # Where the job writes below its output root (PLAYCLIPS_OUT, the training bucket's root):
  # clips/, manifests/ (and contact sheets), reports/ (and the run's index page), datasets/.
  # The trailing '/' keeps "clips/" from also matching "clips-other/".
  writable_prefixes = ["clips/", "manifests/", "reports/", "datasets/"]
}
