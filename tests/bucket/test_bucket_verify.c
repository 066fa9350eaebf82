/* test_bucket_verify.c - enforce-private's verification reasons are one
 * printable line each, whatever bytes the failing keys hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/bucket.h"

static void control_bytes_in_keys_do_not_break_lines(void **state)
{
    char key[] = "evil\nforged line\x1b[2J.png";
    struct bucket_object obj;
    struct bucket_audit a;
    struct pd_buf why;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&obj, 0, sizeof(obj));
    a.pab.block_public_acls = a.pab.ignore_public_acls = true;
    a.pab.block_public_policy = a.pab.restrict_public_buckets = true;
    a.listing.status = 403;
    obj.key = key;
    obj.anonymous.status = 403;
    obj.presigned.status = 404;
    strcpy(obj.presigned.code, "NoSuchKey");
    a.objects = &obj;
    a.object_count = 1;
    pd_buf_init(&why, 4096);
    assert_false(bucket_verify(&a, &why));
    assert_string_equal(why.data, "presigned GET of "
                                  "'evil?forged line?[2J.png' failed "
                                  "(404 NoSuchKey)\n");
    pd_buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_bytes_in_keys_do_not_break_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
