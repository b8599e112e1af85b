virt-tar-out -a demo.img /etc - | tar -tvf - --numeric-owner --full-time | sort -k6
