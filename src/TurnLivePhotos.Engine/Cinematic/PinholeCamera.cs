namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>
/// Pinhole intrinsics in pixels, OpenCV's convention (x right, y down; a pixel's centre at whole coordinates, so the
/// centre of a W-wide frame is at (W − 1) / 2).
/// </summary>
public readonly record struct Intrinsics(double Fx, double Fy, double Cx, double Cy)
{
    /// <summary>A centred camera whose horizontal focal length is <paramref name="focalOverWidth"/> × width.</summary>
    public static Intrinsics Centred(int width, int height, double focalOverWidth) =>
        new(focalOverWidth * width, focalOverWidth * width, (width - 1) / 2.0, (height - 1) / 2.0);

    public Matrix3 Matrix => new(Fx, 0, Cx, 0, Fy, Cy, 0, 0, 1);

    public Matrix3 Inverse => new(1 / Fx, 0, -Cx / Fx, 0, 1 / Fy, -Cy / Fy, 0, 0, 1);
}

/// <summary>A row-major 3 × 3 matrix of doubles (the few products a camera needs; no general linear algebra).</summary>
public readonly record struct Matrix3(double M00, double M01, double M02, double M10, double M11, double M12, double M20, double M21, double M22)
{
    public static Matrix3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    public Matrix3 Transposed => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    public static Matrix3 operator *(Matrix3 a, Matrix3 b) => new(
        (a.M00 * b.M00) + (a.M01 * b.M10) + (a.M02 * b.M20), (a.M00 * b.M01) + (a.M01 * b.M11) + (a.M02 * b.M21), (a.M00 * b.M02) + (a.M01 * b.M12) + (a.M02 * b.M22),
        (a.M10 * b.M00) + (a.M11 * b.M10) + (a.M12 * b.M20), (a.M10 * b.M01) + (a.M11 * b.M11) + (a.M12 * b.M21), (a.M10 * b.M02) + (a.M11 * b.M12) + (a.M12 * b.M22),
        (a.M20 * b.M00) + (a.M21 * b.M10) + (a.M22 * b.M20), (a.M20 * b.M01) + (a.M21 * b.M11) + (a.M22 * b.M21), (a.M20 * b.M02) + (a.M21 * b.M12) + (a.M22 * b.M22));

    public static Vector3d operator *(Matrix3 a, Vector3d v) => new(
        (a.M00 * v.X) + (a.M01 * v.Y) + (a.M02 * v.Z),
        (a.M10 * v.X) + (a.M11 * v.Y) + (a.M12 * v.Z),
        (a.M20 * v.X) + (a.M21 * v.Y) + (a.M22 * v.Z));

    /// <summary>A turn by <paramref name="radians"/> about the camera's y axis (a pan; positive turns +z toward +x).</summary>
    public static Matrix3 Yaw(double radians) => new(Math.Cos(radians), 0, Math.Sin(radians), 0, 1, 0, -Math.Sin(radians), 0, Math.Cos(radians));
}

/// <summary>A 3-vector of doubles.</summary>
public readonly record struct Vector3d(double X, double Y, double Z)
{
    public static Vector3d Zero => new(0, 0, 0);

    public static Vector3d operator +(Vector3d a, Vector3d b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    public static Vector3d operator -(Vector3d a, Vector3d b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public static Vector3d operator *(double s, Vector3d v) => new(s * v.X, s * v.Y, s * v.Z);
}

/// <summary>
/// A pinhole camera: intrinsics and where it stands, as a camera-to-world rotation and centre (OpenCV axes: x right,
/// y down, z forward). The photo's own camera is usually the world, i.e. <see cref="Rotation"/> = I and
/// <see cref="Centre"/> = 0; depth is along the optical axis in the same units as <see cref="Centre"/>.
/// </summary>
public readonly record struct PinholeCamera(Intrinsics Intrinsics, Matrix3 Rotation, Vector3d Centre)
{
    public static PinholeCamera AtOrigin(Intrinsics intrinsics) => new(intrinsics, Matrix3.Identity, Vector3d.Zero);
}

/// <summary>
/// How the pixels of one camera's photo map into another camera's frame, in the two forms a renderer needs, both
/// linear in inverse depth q = 1/z. With X_t = M X_s + m (source to target camera coordinates):
/// forward, a source pixel p with source inverse depth q lands at h = A p + q b, A = K_t M K_s⁻¹, b = K_t m, with
/// target inverse depth q / h_z; backward, a target pixel x with target inverse depth q came from
/// p = B x + q d, B = K_s Mᵀ K_t⁻¹, d = −K_s Mᵀ m (both homogeneous: divide by the z component).
/// </summary>
public readonly record struct ViewTransfer(Matrix3 Forward, Vector3d ForwardShift, Matrix3 Backward, Vector3d BackwardShift, double ScaleX, double ScaleY)
{
    public static ViewTransfer Between(PinholeCamera source, PinholeCamera target)
    {
        // X_world = R_s X_s + c_s and X_t = R_tᵀ (X_world − c_t), so M = R_tᵀ R_s and m = R_tᵀ (c_s − c_t).
        var m = target.Rotation.Transposed * source.Rotation;
        var shift = target.Rotation.Transposed * (source.Centre - target.Centre);
        var kt = target.Intrinsics.Matrix;
        var ks = source.Intrinsics.Matrix;
        return new ViewTransfer(
            kt * m * source.Intrinsics.Inverse,
            kt * shift,
            ks * m.Transposed * target.Intrinsics.Inverse,
            -1 * (ks * (m.Transposed * shift)),
            target.Intrinsics.Fx / source.Intrinsics.Fx,
            target.Intrinsics.Fy / source.Intrinsics.Fy);
    }

    /// <summary>Where source pixel (u, v) with source inverse depth q lands, and its inverse depth in the target camera (≤ 0: behind it).</summary>
    public (double X, double Y, double Q) Project(double u, double v, double q)
    {
        var h = (Forward * new Vector3d(u, v, 1)) + (q * ForwardShift);
        return (h.X / h.Z, h.Y / h.Z, q / h.Z);
    }

    /// <summary>The source pixel that target pixel (x, y) shows when its target inverse depth is q.</summary>
    public (double U, double V) Unproject(double x, double y, double q)
    {
        var p = (Backward * new Vector3d(x, y, 1)) + (q * BackwardShift);
        return (p.X / p.Z, p.Y / p.Z);
    }
}
