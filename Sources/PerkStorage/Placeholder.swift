enum _PlaceholderPerkStorage {}
