enum _PlaceholderPerkServer {}
