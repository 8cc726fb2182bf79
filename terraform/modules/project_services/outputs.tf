output "services" {
  description = "The enabled APIs (depend on this to order anything after enablement)."
  value       = [for service in google_project_service.this : service.service]
}
