output "names" {
  description = "Bucket names by role: `video` and `training`."
  value       = { for role, bucket in google_storage_bucket.this : role => bucket.name }
}

output "urls" {
  description = "gs:// URLs by role, as the job reads them from PLAYCLIPS_VIDEOS and PLAYCLIPS_OUT."
  value       = { for role, bucket in google_storage_bucket.this : role => "gs://${bucket.name}" }
}
