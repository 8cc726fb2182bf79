# The job's identity holds exactly these bindings, each on one resource (see README).
resource "google_storage_bucket_iam_member" "video_reader" {
  bucket = var.buckets.video
  role   = "roles/storage.objectViewer"
  member = local.job_member
}

# Get and list anywhere in the training bucket: the skip check reads clip metadata, finalize
# reads manifests and reports, and `run`/`finalize` read the workflow's runs/{run}/games.json.
# storage.objects.list is checked on the bucket, not on an object name, so it cannot sit in a
# prefix-conditional binding; it stays unconditional here.
resource "google_storage_bucket_iam_member" "training_reader" {
  bucket = var.buckets.training
  role   = "roles/storage.objectViewer"
  member = local.job_member
}

# Create, replace and delete, below the job's own prefixes only. The job replaces objects on
# every run: manifests/{game}/clips.jsonl and contact sheets whole, a stale clip by a
# generation-matched put, datasets/{run}/ and reports/{run}/ on a rerun of the same run; an
# overwrite needs storage.objects.delete, which objectCreator lacks. objectUser is the
# narrowest predefined role holding create + delete; the rest it holds (update, restore) adds
# nothing a principal that may already replace those objects could not do. Outside these
# prefixes (runs/, written by the workflow, or anything else) the job can only read.
# Bucket-level IAM conditions need uniform bucket-level access, which modules/storage enforces.
# Object names in conditions are projects/_/buckets/BUCKET/objects/NAME
# (https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name; Google's
# sample: https://cloud.google.com/storage/docs/samples/storage-add-bucket-conditional-iam-binding).
resource "google_storage_bucket_iam_member" "training_writer" {
  bucket = var.buckets.training
  role   = "roles/storage.objectUser"
  member = local.job_member

  condition {
    title       = "playclips job output prefixes"
    description = "Objects below ${join(", ", local.writable_prefixes)} of the training bucket."
    expression = join(" || ", [
      for prefix in local.writable_prefixes :
      "resource.name.startsWith(\"projects/_/buckets/${var.buckets.training}/objects/${prefix}\")"
    ])
  }
}

resource "google_secret_manager_secret_iam_member" "supabase_accessor" {
  project   = var.project_id
  secret_id = var.supabase_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.job_member
}
