/* Prints the Y, Cb and Cr samples at (x, y) of a JPEG as libjpeg decodes it with the exact
 * integer inverse DCT, no block smoothing and no fancy upsampling, a zero quantisation step
 * read as 1: the reading the planar decoder is meant to give, for progressive files too
 * (libjpeg's default smooths the blocks of an unfinished progression, which the differential
 * oracle therefore does not compare).
 *
 *   cc -O1 -o libjpeg_sample libjpeg_sample.c -ljpeg    (Debian: libjpeg62-turbo-dev)
 *   ./libjpeg_sample FILE X Y      prints "Y Cb Cr", or "refused" and exits 1
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

struct error { struct jpeg_error_mgr manager; jmp_buf back; };

static void refuse(j_common_ptr info) { longjmp(((struct error *)info->err)->back, 1); }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s FILE X Y\n", argv[0]); return 2; }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 2; }
    unsigned x = (unsigned)atoi(argv[2]), y = (unsigned)atoi(argv[3]);
    struct jpeg_decompress_struct info;
    struct error error;
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = refuse;
    if (setjmp(error.back)) { puts("refused"); return 1; }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    /* A zero step is read as 1, as userphoto reads it (DESIGN.md, "What libjpeg tolerates"):
     * the oracle compares files after that rewrite. */
    for (int t = 0; t < NUM_QUANT_TBLS; t++)
        for (int k = 0; info.quant_tbl_ptrs[t] && k < DCTSIZE2; k++)
            if (info.quant_tbl_ptrs[t]->quantval[k] == 0) info.quant_tbl_ptrs[t]->quantval[k] = 1;
    info.out_color_space = JCS_YCbCr;
    info.dct_method = JDCT_ISLOW;
    info.do_block_smoothing = FALSE;
    info.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&info);
    if (info.output_components != 3 || x >= info.output_width || y >= info.output_height) {
        puts("refused");
        return 1;
    }
    JSAMPARRAY row = (*info.mem->alloc_sarray)((j_common_ptr)&info, JPOOL_IMAGE,
                                               info.output_width * 3, 1);
    while (info.output_scanline < info.output_height) {
        unsigned line = info.output_scanline;
        jpeg_read_scanlines(&info, row, 1);
        if (line == y) printf("%d %d %d\n", row[0][3 * x], row[0][3 * x + 1], row[0][3 * x + 2]);
    }
    jpeg_finish_decompress(&info);
    return 0;
}
