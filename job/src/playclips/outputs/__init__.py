"""What a run writes besides clips: manifests, reports, contact sheets, run page, dataset."""
