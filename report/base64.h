#pragma once
#include <string>

namespace aafgan::report {

// Standard base64 (RFC 4648, with padding), for data: URIs.
std::string base64_encode(const std::string& bytes);

}  // namespace aafgan::report
