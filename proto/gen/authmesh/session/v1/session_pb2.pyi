import datetime

from authmesh.events.v1 import envelope_pb2 as _envelope_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Session(_message.Message):
    __slots__ = ("id", "token", "user_id", "expires_at", "created_at", "updated_at", "ip_address", "user_agent", "active_organization_id", "active_team_id", "impersonated_by", "dont_remember")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    IMPERSONATED_BY_FIELD_NUMBER: _ClassVar[int]
    DONT_REMEMBER_FIELD_NUMBER: _ClassVar[int]
    id: str
    token: str
    user_id: str
    expires_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    ip_address: str
    user_agent: str
    active_organization_id: str
    active_team_id: str
    impersonated_by: str
    dont_remember: bool
    def __init__(self, id: _Optional[str] = ..., token: _Optional[str] = ..., user_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ip_address: _Optional[str] = ..., user_agent: _Optional[str] = ..., active_organization_id: _Optional[str] = ..., active_team_id: _Optional[str] = ..., impersonated_by: _Optional[str] = ..., dont_remember: _Optional[bool] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("user_id", "ip_address", "user_agent", "dont_remember", "method", "mfa_used", "actor")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    DONT_REMEMBER_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MFA_USED_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    ip_address: str
    user_agent: str
    dont_remember: bool
    method: str
    mfa_used: bool
    actor: _envelope_pb2.Actor
    def __init__(self, user_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., user_agent: _Optional[str] = ..., dont_remember: _Optional[bool] = ..., method: _Optional[str] = ..., mfa_used: _Optional[bool] = ..., actor: _Optional[_Union[_envelope_pb2.Actor, _Mapping]] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("token", "disable_refresh")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISABLE_REFRESH_FIELD_NUMBER: _ClassVar[int]
    token: str
    disable_refresh: bool
    def __init__(self, token: _Optional[str] = ..., disable_refresh: _Optional[bool] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session", "refreshed")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    REFRESHED_FIELD_NUMBER: _ClassVar[int]
    session: Session
    refreshed: bool
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ..., refreshed: _Optional[bool] = ...) -> None: ...

class RevokeSessionRequest(_message.Message):
    __slots__ = ("token", "actor")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    token: str
    actor: _envelope_pb2.Actor
    def __init__(self, token: _Optional[str] = ..., actor: _Optional[_Union[_envelope_pb2.Actor, _Mapping]] = ...) -> None: ...

class RevokeSessionResponse(_message.Message):
    __slots__ = ("revoked",)
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    revoked: bool
    def __init__(self, revoked: _Optional[bool] = ...) -> None: ...

class SessionCreated(_message.Message):
    __slots__ = ("session_id", "user_id", "method", "mfa_used", "expires_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MFA_USED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_id: str
    method: str
    mfa_used: bool
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., method: _Optional[str] = ..., mfa_used: _Optional[bool] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SessionRevoked(_message.Message):
    __slots__ = ("session_id", "user_id", "token_hash", "reason")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_HASH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_id: str
    token_hash: str
    reason: str
    def __init__(self, session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., token_hash: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
