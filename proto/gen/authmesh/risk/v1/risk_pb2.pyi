from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_ALLOW: _ClassVar[Decision]
    DECISION_CHALLENGE: _ClassVar[Decision]
    DECISION_DENY: _ClassVar[Decision]
DECISION_UNSPECIFIED: Decision
DECISION_ALLOW: Decision
DECISION_CHALLENGE: Decision
DECISION_DENY: Decision

class AssessRequest(_message.Message):
    __slots__ = ("user_id", "ip", "user_agent", "method")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    ip: str
    user_agent: str
    method: str
    def __init__(self, user_id: _Optional[str] = ..., ip: _Optional[str] = ..., user_agent: _Optional[str] = ..., method: _Optional[str] = ...) -> None: ...

class AssessResponse(_message.Message):
    __slots__ = ("score", "decision", "factors")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    score: int
    decision: Decision
    factors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, score: _Optional[int] = ..., decision: _Optional[_Union[Decision, str]] = ..., factors: _Optional[_Iterable[str]] = ...) -> None: ...
