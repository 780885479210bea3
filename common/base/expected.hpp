#pragma once
// A value or an error, for C++20 (std::expected arrives with C++23). Errors are values with
// context; they travel up until the plugin turns them into a state.

#include <type_traits>
#include <utility>
#include <variant>

namespace tls_checks {

template <class E>
struct Unexpected {
    E error;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
    return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Expected {
    static_assert(!std::is_same_v<T, E>, "value and error types must differ");

public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
    template <class G>
    Expected(Unexpected<G> failure)  // NOLINT(google-explicit-constructor)
        : state_(std::in_place_index<1>, E(std::move(failure.error))) {}

    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    E& error() & { return std::get<1>(state_); }
    const E& error() const& { return std::get<1>(state_); }

private:
    std::variant<T, E> state_;
};

// For operations that yield nothing but can fail.
struct Done {};

}  // namespace tls_checks
