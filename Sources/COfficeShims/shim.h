// zlib (deflate for .docx/.xlsx zips) and iconv (GB18030 text from Chinese Excel).
#include <zlib.h>
#include <iconv.h>
