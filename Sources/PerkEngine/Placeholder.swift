enum _PlaceholderPerkEngine {}
