# The deployer's bindings. A release plans the env root with `-var job_image=...` (refreshing
# every resource: read access below), refuses any plan that changes more than the job's image
# (scripts/check_release_plan.py) and applies it. Changes to anything else are applied by an
# administrator (`make apply`); should one slip past the check, it fails for lack of permission
# rather than widening the deployer.
locals {
  deployer_member = google_service_account.deployer.member
  # Read-only, project-wide: what refreshing the env root reads.
  deployer_project_roles = [
    "roles/iam.securityReviewer",            # IAM policies of the project and every resource, custom roles
    "roles/iam.serviceAccountViewer",        # the three service accounts
    "roles/iam.workloadIdentityPoolViewer",  # the pool and its provider
    "roles/run.viewer",                      # the job
    "roles/secretmanager.viewer",            # the secret's metadata (never its value)
    "roles/serviceusage.serviceUsageViewer", # the enabled APIs
    "roles/workflows.viewer",                # the workflow
  ]
}

resource "google_project_iam_member" "deployer_read" {
  for_each = toset(local.deployer_project_roles)
  project  = var.project_id
  role     = each.value
  member   = local.deployer_member
}

# Bucket configuration (and object names, which the legacy reader role also lists).
resource "google_storage_bucket_iam_member" "deployer_bucket_read" {
  for_each = toset([var.buckets.video, var.buckets.training])
  bucket   = each.value
  role     = "roles/storage.legacyBucketReader"
  member   = local.deployer_member
}

# Read and write the state, and take and release its lock object.
resource "google_storage_bucket_iam_member" "deployer_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = local.deployer_member
}

# Push images (writer includes reading the repository).
resource "google_artifact_registry_repository_iam_member" "deployer_push" {
  project    = var.project_id
  location   = google_artifact_registry_repository.this.location
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.writer"
  member     = local.deployer_member
}

# Update the job (new image), on this job only.
resource "google_cloud_run_v2_job_iam_member" "deployer_job" {
  project  = var.project_id
  location = var.job.location
  name     = var.job.name
  role     = "roles/run.developer"
  member   = local.deployer_member
}

# Updating a job that runs as a service account requires acting as that account.
resource "google_service_account_iam_member" "deployer_acts_as_job" {
  service_account_id = var.job.service_account_id
  role               = "roles/iam.serviceAccountUser"
  member             = local.deployer_member
}
