guestfish --blocksize=abc
