HOME=/home/fishtest guestfish < scripts/quoting.gf
