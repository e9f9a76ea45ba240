"""The storage app's domain errors; ``config.api.errors`` turns them into problem responses."""

from config.api.exceptions import ApplicationError


class FileTooLarge(ApplicationError):
    status_code = 413
    code = "file_too_large"
    default_detail = "The file is larger than the upload limit."


class QuotaExceeded(ApplicationError):
    status_code = 413
    code = "quota_exceeded"
    default_detail = "This upload would exceed your storage quota."


class UnsupportedFileType(ApplicationError):
    status_code = 415
    code = "unsupported_file_type"
    default_detail = "Files of this type are not accepted."


class DirectUploadUnsupported(ApplicationError):
    code = "direct_upload_unsupported"
    default_detail = (
        "Direct uploads need an S3-compatible storage backend; upload through the API."
    )


class UploadNotComplete(ApplicationError):
    code = "upload_not_complete"
    default_detail = "The uploaded object is missing or does not match what was declared."


class FileContentMissing(ApplicationError):
    # Our fault, not the client's: the row outlived its object (storage_reconcile lists
    # such rows), so a 500, but with a code that says what is wrong.
    status_code = 500
    code = "file_content_missing"
    default_detail = "The file's content is missing from storage; it has been logged."


class ShareLinkExpired(ApplicationError):
    status_code = 410
    code = "link_expired"
    default_detail = "This link has expired."


class ShareLinkInvalid(ApplicationError):
    status_code = 404
    code = "not_found"
    default_detail = "No file is shared at this address."
