-upload -<<END /x
line one
line two
END
echo after here-document
-upload -<< /x
-upload -<<EOF /y
no end marker here
