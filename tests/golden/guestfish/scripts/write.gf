mkdir /dir
mkdir-p /dir/a/b
write /dir/file "line one\n"
write-append /dir/file "line two\n"
cat /dir/file
upload -<<END /dir/uploaded
from a here-document
  with indentation
END
download /dir/uploaded -
touch /dir/empty
filesize /dir/empty
chmod 0640 /dir/file
stat /dir/file | grep -E '^(mode|size|nlink):'
get-umask
part-get-mbr-id /dev/sda 1
is-dir /dir/a/b
ls /dir
find /dir
checksum md5 /dir/file
hexdump /dir/file
rm /dir/empty
-rm /dir/empty
rm-rf /dir/a
ls /dir
truncate-size /dir/file 1k
filesize /dir/file
ln-s file /dir/link
readlink /dir/link
mv /dir/link /dir/link2
ll /dir | grep -c link2
cp /dir/uploaded /dir/copy
cat /dir/copy
glob rm /dir/co*
exists /dir/copy
time sync | sed 's/[0-9.]* seconds/N seconds/'
