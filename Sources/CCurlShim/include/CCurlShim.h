#ifndef DOCTOR_CCURLSHIM_H
#define DOCTOR_CCURLSHIM_H

#include <curl/curl.h>
#include <stdint.h>

#pragma clang assume_nonnull begin

/// Typed, non-variadic wrappers of libcurl's variadic calls (Swift cannot call C varargs).
CURLcode doctor_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode doctor_curl_easy_setopt_int64(CURL *handle, CURLoption option, int64_t value);
CURLcode doctor_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode doctor_curl_easy_setopt_ptr(CURL *handle, CURLoption option, void *_Nullable value);
CURLcode doctor_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *_Nullable value);

typedef size_t (*doctor_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*doctor_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                             curl_off_t ultotal, curl_off_t ulnow);

CURLcode doctor_curl_easy_setopt_write_function(CURL *handle, doctor_curl_data_callback callback);
CURLcode doctor_curl_easy_setopt_header_function(CURL *handle, doctor_curl_data_callback callback);
CURLcode doctor_curl_easy_setopt_xferinfo_function(CURL *handle, doctor_curl_xferinfo_callback callback);

CURLcode doctor_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode doctor_curl_easy_getinfo_int64(CURL *handle, CURLINFO info, int64_t *value);
CURLcode doctor_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char *_Nullable *_Nonnull value);

/// The easy handle and result of a finished transfer read from curl_multi_info_read (a union in C).
int doctor_curl_multi_next_done(CURLM *multi, CURL *_Nullable *_Nonnull handle, CURLcode *result);

/// The loaded libcurl's version record for the struct layout these headers declare
/// (`curl_version_info(CURLVERSION_NOW)`: Swift does not import the CURLVERSION_NOW macro).
const curl_version_info_data *doctor_curl_version_info(void);

#pragma clang assume_nonnull end

#endif
