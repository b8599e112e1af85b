guestfish --keys-from-stdin < scripts/keys.gf
