virt-tar-out -c test://$PWD/guests.xml -d demo /etc - | tar -tvf - --numeric-owner --full-time | sort -k6
