(guestfish -N fs:ext2:32M -m /dev/sda1 < scripts/editors.gf 2>&1; echo "exit $?") | sed "s,/tmp/guestfish[A-Za-z0-9]*,/tmp/guestfishXXXXXX,"
