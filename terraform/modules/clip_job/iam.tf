# The job's identity holds exactly these bindings, each on one resource (see README).
resource "google_storage_bucket_iam_member" "video_reader" {
  bucket = var.buckets.video
  role   = "roles/storage.objectViewer"
  member = local.job_member
}

# objectCreator creates; objectViewer gets and lists (the skip check reads clip metadata).
# Neither holds storage.objects.delete, so the job can never delete or overwrite an object.
resource "google_storage_bucket_iam_member" "training_creator" {
  bucket = var.buckets.training
  role   = "roles/storage.objectCreator"
  member = local.job_member
}

resource "google_storage_bucket_iam_member" "training_reader" {
  bucket = var.buckets.training
  role   = "roles/storage.objectViewer"
  member = local.job_member
}

resource "google_secret_manager_secret_iam_member" "supabase_accessor" {
  project   = var.project_id
  secret_id = var.supabase_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.job_member
}
