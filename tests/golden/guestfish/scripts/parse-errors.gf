#!/usr/bin/guestfish -f
# Syntax errors, each ignored with the - prefix.
-echo "a\x00b"
-echo "a\400b"
-echo "a\q"
-echo "\t\t\x4"
-echo "abc
-echo 'abc
-echo "a"b
-echo 'a'b
-echo x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l
echo x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k
echo end
