# The prod root with its committed settings (settings.auto.tfvars), planned against the mock
# provider: who may release to prod, and that prod keeps its protection.
mock_provider "google" {
  override_during = plan
  source          = "../../root/tests"
}

run "release_tags_may_deploy_prod" {
  command = plan

  assert {
    condition     = var.env == "prod" && output.project_id == var.project_id
    error_message = "The prod root plans the prod environment from its committed settings alone."
  }
  assert {
    # The release deploys prod from tags v* (refs/tags/v1.4.0), in the GitHub environment prod.
    condition     = jsondecode(output.wif_github).refs == ["refs/tags/v*"] && jsondecode(output.wif_github).environments == ["prod"]
    error_message = "Prod admits release tags (refs/tags/v*), not branches."
  }
  assert {
    condition     = var.deletion_protection == true
    error_message = "Prod's job, workflow and secret are protected from deletion."
  }
}
