echo before
Q
echo never
