from souk.core.throttling import BodyFieldThrottle, ClientIPThrottle


class LoginThrottle(ClientIPThrottle):
    scope = "login"


class LoginIdentifierThrottle(BodyFieldThrottle):
    scope = "login_identifier"
    field = "identifier"


class OtpThrottle(ClientIPThrottle):
    scope = "otp"


class RegisterThrottle(ClientIPThrottle):
    scope = "register"
