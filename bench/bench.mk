# bench fragment (filled in later)
