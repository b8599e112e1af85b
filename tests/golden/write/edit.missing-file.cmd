rm -rf e3 && mkdir e3 && cp demo.img e3/w.img && virt-edit -a e3/w.img -e 's/a/b/' /etc/nosuch
