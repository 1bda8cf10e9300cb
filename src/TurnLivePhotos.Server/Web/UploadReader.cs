using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Media.Decoding;

namespace TurnLivePhotos.Server.Web;

/// <summary>A request that has been refused with a known answer (see <see cref="RequestError.Classify"/>).</summary>
public sealed class RequestErrorException(RequestError error) : Exception(error.Detail)
{
    public RequestError Error { get; } = error;
}

/// <summary>
/// An accepted upload: the photo's bytes (checked to be a photo we can read, within the pixel limit), the file name
/// the client gave it (untrusted: only <see cref="Jobs.PhotoName"/> makes a name of it) and the other form fields.
/// </summary>
public sealed record Upload(byte[] Photo, string? FileName, IFormCollection Form);

/// <summary>
/// The one way a photo comes in, for <c>POST /generate</c> and <c>POST /api/v1/jobs</c> alike: multipart/form-data
/// with exactly one part named <c>file</c>. The body is read under Kestrel's limits (size, slow-client rate); every
/// way it can be malformed ends in a <see cref="RequestErrorException"/> or an exception
/// <see cref="RequestError.Classify"/> maps to 4xx. The upload's file name is never a path: a job's files are named
/// after it through <see cref="Jobs.PhotoName.FromUpload"/>, inside the job's own folder.
/// </summary>
public static class UploadReader
{
    public const string FileField = "file";

    /// <exception cref="RequestErrorException">The body is not a usable upload.</exception>
    /// <exception cref="BadHttpRequestException">Kestrel refused the body (too large, too slow).</exception>
    /// <exception cref="UnsupportedPhotoException">The file is not a photo we can read.</exception>
    /// <exception cref="PhotoTooLargeException">The photo declares more pixels than allowed.</exception>
    public static async Task<Upload> ReadAsync(HttpRequest request, long maxContentLength, DecodeBudget budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxContentLength)
        {
            throw new RequestErrorException(RequestError.UploadTooLarge(maxContentLength));
        }

        if (!request.HasFormContentType)
        {
            throw new RequestErrorException(RequestError.BadRequest($"send the photo as multipart/form-data in the field '{FileField}'"));
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            // Bad or missing boundary, a part header without ':', too many or too long parts, a body without its end.
            throw new RequestErrorException(RequestError.BadRequest($"malformed multipart body: {ex.Message}"));
        }
        catch (IOException ex) when (ex is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw new RequestErrorException(RequestError.BadRequest($"the request body ended early: {ex.Message}"));
        }

        var files = form.Files.GetFiles(FileField);
        if (files.Count == 0)
        {
            throw new RequestErrorException(RequestError.BadRequest($"no file was uploaded (multipart field '{FileField}')"));
        }

        if (files.Count > 1)
        {
            throw new RequestErrorException(RequestError.BadRequest($"send one photo per request (the field '{FileField}' came {files.Count} times)"));
        }

        var file = files[0];
        if (file.Length == 0)
        {
            throw new RequestErrorException(RequestError.BadRequest("the uploaded file is empty"));
        }

        using var buffer = new MemoryStream((int)Math.Min(file.Length, maxContentLength));
        await file.CopyToAsync(buffer, cancellationToken);
        var photo = buffer.ToArray();
        PhotoDecoder.Check(photo, budget);
        return new Upload(photo, file.FileName, form);
    }
}
