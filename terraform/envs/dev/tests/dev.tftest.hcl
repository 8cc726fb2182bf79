# The dev root with its committed settings (settings.auto.tfvars), planned against the mock
# provider. modules/playclips/tests covers the wiring; this pins what dev's data decides.
mock_provider "google" {
  override_during = plan
  source          = "../../root/tests"
}

run "committed_settings" {
  command = plan

  assert {
    condition     = var.env == "dev" && output.project_id == var.project_id && output.job_name == "playclips"
    error_message = "The dev root plans the dev environment from its committed settings alone."
  }
  assert {
    condition     = jsondecode(output.wif_github).refs == ["refs/heads/main"] && jsondecode(output.wif_github).environments == ["dev"]
    error_message = "Dev releases come from pushes to main, in the GitHub environment dev."
  }
  assert {
    condition     = var.deletion_protection == false
    error_message = "Dev can be torn down; the setting is committed, so releases and admins apply the same value."
  }
  assert {
    condition     = var.job_image == null
    error_message = "No image is committed: an admin apply keeps the running one, a release passes its own."
  }
}

run "a_misspelt_setting_is_refused_not_dropped" {
  command = plan
  variables {
    github = { repository = "my-org/playclips", repository_id = "123456789", refs = ["refs/heads/main"], enviroments = ["dev"] }
    job    = { cpu = 2, memroy = "8Gi" }
  }
  expect_failures = [var.github, var.job]
}
