"""Signing in and out: the token goes into the session cookie, never into a URL."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from query.web.render import Renderer
from query.web.security import SESSION_COOKIE, Authorizer, encode_session, local_path, same_origin

# A sign-in form holds a token and a path; nothing longer is read.
MAX_FORM: Final = 8192


class SignIn:
    def __init__(self, authorizer: Authorizer, renderer: Renderer) -> None:
        self._authorizer = authorizer
        self._renderer = renderer

    @property
    def needed(self) -> bool:
        """Whether pages need a token at all (not in dev)."""
        return self._authorizer.refusal(None) is not None

    async def signin(self, request: Request) -> Response:
        next_path = local_path(request.query_params.get("next"))
        if request.method != "POST":
            if not self.needed:
                return RedirectResponse(next_path, status_code=303)
            return self._form(request, next_path, None)
        if not same_origin(request):
            return self._form(request, "/", "Sign in from this node's own page.", status=403)
        form = await _read_form(request)
        if form is None:
            return self._form(request, "/", f"The form is larger than {MAX_FORM} bytes.", status=413)
        next_path = local_path(form.get("next"))
        token = (form.get("token") or "").strip()
        refusal = self._authorizer.refusal(f"Bearer {token}" if token else None)
        if refusal is not None:
            return self._form(request, next_path, f"Not signed in: {refusal}.", status=401)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            encode_session(token),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def signout(self, request: Request) -> Response:
        if not same_origin(request):
            return self._form(request, "/", "Sign out from this node's own page.", status=403)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    def _form(self, request: Request, next_path: str, message: str | None, status: int = 200) -> Response:
        return self._renderer.page(
            request, "signin.html", status=status, next=next_path, message=message, sign_out=False
        )


async def _read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form's fields (first value of each), or None past MAX_FORM bytes."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}
