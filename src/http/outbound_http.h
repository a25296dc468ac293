// Outbound HTTP POSTs for webhooks. Kept apart from the server so that only this file and
// server.cc include Beast and Asio. One short-lived connection per request, with a deadline;
// https verifies the server's certificate against the system store (ca-certificates).
#pragma once

#include <chrono>

#include "service/notification_service.h"

namespace linli::http {

service::OutboundResponse PostOutbound(const service::OutboundRequest& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace linli::http
