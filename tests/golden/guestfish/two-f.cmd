guestfish -f a.gf -f b.gf
