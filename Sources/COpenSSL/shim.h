#ifndef MESHBED_COPENSSL_SHIM_H
#define MESHBED_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

// OpenSSL spells these as macros (or macros over type-checked stack helpers), which Swift
// cannot import; each wrapper below is one macro, nothing more.

static inline int meshbed_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int meshbed_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline int meshbed_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline int meshbed_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return (int)SSL_CTX_add1_chain_cert(ctx, cert);
}
static inline int meshbed_SSL_CTX_get_min_proto_version(SSL_CTX *ctx) {
    return (int)SSL_CTX_get_min_proto_version(ctx);
}
static inline int meshbed_SSL_get_negotiated_group(SSL *ssl) { return (int)SSL_get_negotiated_group(ssl); }
static inline uint64_t meshbed_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t meshbed_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline int meshbed_BIO_set_mem_eof_return(BIO *bio, int value) {
    return (int)BIO_set_mem_eof_return(bio, value);
}
static inline int meshbed_MBSTRING_ASC(void) { return MBSTRING_ASC; }

/// A fresh ECDSA P-256 key pair, or NULL.
static inline EVP_PKEY *meshbed_EVP_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }

/// The certificate's subjectAltName extension, or NULL when it has none; free with GENERAL_NAMES_free.
static inline GENERAL_NAMES *meshbed_X509_subject_alt_names(X509 *cert) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
static inline int meshbed_GENERAL_NAMES_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
/// The index-th name's bytes when it is a URI, else NULL (and *length 0).
static inline const unsigned char *meshbed_GENERAL_NAMES_uri(const GENERAL_NAMES *names, int index, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
    *length = 0;
    if (name == NULL || name->type != GEN_URI) return NULL;
    *length = ASN1_STRING_length(name->d.uniformResourceIdentifier);
    return ASN1_STRING_get0_data(name->d.uniformResourceIdentifier);
}

/// Adds a subjectAltName extension with exactly one URI (built directly, not from a config
/// string, so no character in `uri` can add another name). Returns 1 on success.
static inline int meshbed_X509_add_uri_san(X509 *cert, const char *uri, int critical) {
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_IA5STRING *value = ASN1_IA5STRING_new();
    int ok = 0;
    if (names == NULL || name == NULL || value == NULL) goto done;
    if (!ASN1_STRING_set(value, uri, -1)) goto done;
    GENERAL_NAME_set0_value(name, GEN_URI, value);
    value = NULL;
    if (!sk_GENERAL_NAME_push(names, name)) goto done;
    name = NULL;
    ok = X509_add1_ext_i2d(cert, NID_subject_alt_name, names, critical, X509V3_ADD_REPLACE);
done:
    ASN1_IA5STRING_free(value);
    GENERAL_NAME_free(name);
    GENERAL_NAMES_free(names);
    return ok == 1;
}

/// A subjectAltName GENERAL_NAMES holding exactly one URI (free with GENERAL_NAMES_free), or NULL.
static inline GENERAL_NAMES *meshbed_GENERAL_NAMES_one_uri(const char *uri) {
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_IA5STRING *value = ASN1_IA5STRING_new();
    if (names == NULL || name == NULL || value == NULL || !ASN1_STRING_set(value, uri, -1)) goto fail;
    GENERAL_NAME_set0_value(name, GEN_URI, value);
    value = NULL;
    if (!sk_GENERAL_NAME_push(names, name)) goto fail;
    return names;
fail:
    ASN1_IA5STRING_free(value);
    GENERAL_NAME_free(name);
    GENERAL_NAMES_free(names);
    return NULL;
}

/// Adds the requested-extensions attribute to `request`: a subjectAltName with exactly one
/// URI (built directly, like meshbed_X509_add_uri_san). Returns 1 on success.
static inline int meshbed_X509_REQ_add_uri_san(X509_REQ *request, const char *uri) {
    STACK_OF(X509_EXTENSION) *extensions = sk_X509_EXTENSION_new_null();
    GENERAL_NAMES *names = meshbed_GENERAL_NAMES_one_uri(uri);
    int ok = 0;
    if (extensions == NULL || names == NULL) goto done;
    if (X509V3_add1_i2d(&extensions, NID_subject_alt_name, names, 0, X509V3_ADD_APPEND) != 1) goto done;
    ok = X509_REQ_add_extensions(request, extensions) == 1;
done:
    GENERAL_NAMES_free(names);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    return ok;
}

/// The subjectAltName among `request`'s requested extensions (free with GENERAL_NAMES_free),
/// or NULL with *status -1 when there is none, -2 when there are several, 0 when it does not parse.
static inline GENERAL_NAMES *meshbed_X509_REQ_subject_alt_names(X509_REQ *request, int *status) {
    STACK_OF(X509_EXTENSION) *extensions = X509_REQ_get_extensions(request);
    *status = -1;
    if (extensions == NULL) return NULL;
    GENERAL_NAMES *names = (GENERAL_NAMES *)X509V3_get_d2i(extensions, NID_subject_alt_name, status, NULL);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    if (names == NULL && *status >= 0) *status = 0;
    return names;
}

/// X509_NAME_print_ex flags for RFC 2253 text ("CN=a,O=b"), as `openssl x509 -nameopt RFC2253`.
static inline unsigned long meshbed_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
#endif
