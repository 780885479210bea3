// LMTP (RFC 2033): SMTP's dialog with LHLO in place of EHLO.
#include "starttls/text_dialog.hpp"

namespace tls_checks::starttls {

const TextDialog& lmtp_dialog() {
    static const TextDialog dialog = smtp_style_dialog("LHLO");
    return dialog;
}

}  // namespace tls_checks::starttls
