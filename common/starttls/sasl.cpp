#include "starttls/sasl.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tls_checks::starttls::sasl {

namespace {

constexpr std::array<std::string_view, 2> password_sending = {"PLAIN", "LOGIN"};

bool same_ignoring_case(std::string_view left, std::string_view right) noexcept {
    return left.size() == right.size() && std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
               return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
           });
}

}  // namespace

bool sends_password(std::string_view mechanism) noexcept {
    return std::any_of(password_sending.begin(), password_sending.end(),
                       [&](std::string_view name) { return same_ignoring_case(name, mechanism); });
}

std::vector<std::string> password_mechanisms(const std::vector<std::string>& mechanisms) {
    std::vector<std::string> found;
    for (const auto& mechanism : mechanisms) {
        if (sends_password(mechanism)) found.push_back(mechanism);
    }
    return found;
}

bool offers_password_mechanism(const std::vector<std::string>& mechanisms) {
    return std::any_of(mechanisms.begin(), mechanisms.end(), [](const std::string& mechanism) { return sends_password(mechanism); });
}

}  // namespace tls_checks::starttls::sasl
