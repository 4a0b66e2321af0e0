"""Speech recognition: model resolution, transcription and coverage accounting."""
