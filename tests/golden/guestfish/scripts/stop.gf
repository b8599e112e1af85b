echo one
# the next line fails and ends the script

mount /dev/sda1 /
echo never
