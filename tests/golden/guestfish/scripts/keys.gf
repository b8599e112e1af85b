-luks-open /dev/sda1 mapname
secret
echo after key
