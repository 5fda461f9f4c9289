"""``python -m actions [--port 5055 ...]``: the action server (``actions.server``), with rasa_sdk's options."""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.endpoint import create_argument_parser

from actions.server import serve


def main(argv: Sequence[str] | None = None) -> None:
    parser = create_argument_parser()
    parser.set_defaults(actions="actions")
    args = parser.parse_args(argv)
    if args.grpc:
        parser.error("--grpc is not served here: the assistant calls the actions over HTTP")
    serve(args)


if __name__ == "__main__":  # rasa_sdk imports every module of the package, this one too: only run when asked
    main()
