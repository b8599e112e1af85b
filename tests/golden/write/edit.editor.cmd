rm -rf e2 && mkdir e2 && cp demo.img e2/w.img && EDITOR='sed -i s/:/::/g' virt-edit -a e2/w.img /etc/shadow && virt-ls -a e2/w.img -lR --uids --checksum=md5 /etc
