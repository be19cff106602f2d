#include "CCurlShim.h"

CURLcode doctor_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode doctor_curl_easy_setopt_int64(CURL *handle, CURLoption option, int64_t value) {
    return curl_easy_setopt(handle, option, (curl_off_t)value);
}

CURLcode doctor_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode doctor_curl_easy_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode doctor_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode doctor_curl_easy_setopt_write_function(CURL *handle, doctor_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode doctor_curl_easy_setopt_header_function(CURL *handle, doctor_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

CURLcode doctor_curl_easy_setopt_xferinfo_function(CURL *handle, doctor_curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

CURLcode doctor_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode doctor_curl_easy_getinfo_int64(CURL *handle, CURLINFO info, int64_t *value) {
    curl_off_t v = 0;
    CURLcode rc = curl_easy_getinfo(handle, info, &v);
    *value = (int64_t)v;
    return rc;
}

CURLcode doctor_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    char *v = NULL;
    CURLcode rc = curl_easy_getinfo(handle, info, &v);
    *value = v;
    return rc;
}

int doctor_curl_multi_next_done(CURLM *multi, CURL **handle, CURLcode *result) {
    int queued = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(multi, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            *handle = msg->easy_handle;
            *result = msg->data.result;
            return 1;
        }
    }
    return 0;
}

const curl_version_info_data *doctor_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}
