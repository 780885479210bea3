#pragma once
// Reads the data-driven vector files under tests/data/ (after Botan's .vec files):
//
//   # comment
//   [case_name]
//   input = 0303abcd...
//   expect = ok version=0x0303 ... | error <message>
//
// A new regression is a few lines of data, not a new test function.

#include <cstdint>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tls_checks::test {

struct Vector {
    std::string name;
    std::map<std::string, std::string> fields;

    [[nodiscard]] std::vector<std::uint8_t> bytes(const std::string& key) const {
        const std::string& hex = fields.at(key);
        if (hex.size() % 2 != 0) throw std::runtime_error(name + ": odd hex length");
        std::vector<std::uint8_t> out;
        for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
        return out;
    }
};

inline std::vector<Vector> read_vectors(const std::string& file) {
    std::ifstream in(std::string(TLS_CHECKS_TEST_DATA) + "/" + file);
    if (!in) throw std::runtime_error("cannot open " + file);
    std::vector<Vector> vectors;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (line.front() == '[' && line.back() == ']') {
            vectors.push_back(Vector{line.substr(1, line.size() - 2), {}});
            continue;
        }
        const auto equals = line.find(" = ");
        if (equals == std::string::npos || vectors.empty()) throw std::runtime_error(file + ": bad line: " + line);
        vectors.back().fields[line.substr(0, equals)] = line.substr(equals + 3);
    }
    if (vectors.empty()) throw std::runtime_error(file + ": no vectors");
    return vectors;
}

}  // namespace tls_checks::test
