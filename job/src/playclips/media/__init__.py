"""Media: probe and cut (PyAV stream copy), encode (ffmpeg)."""
